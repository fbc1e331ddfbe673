"""The tenants area reads only what other services define: tenancy's event payloads
(chassis/contracts/tenancy_events.py) and its client_record / source_record answers
(chassis/contracts/tenancy_rpc.py). It has no request or response schemas of its own."""
