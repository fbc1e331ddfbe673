"""EVV's read model of booking's and tenancy's facts: CBOs (time zone, EVV licences), sites
(coordinates, geofence), job types (the type of service), shifts and the confirmed places that
become visits."""
