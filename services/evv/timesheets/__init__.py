"""Weekly timesheets per worker and client and pay week (Monday to Sunday in the CBO's time
zone): one line per verified visit, scheduled and worked minutes side by side, approved by EVV
itself (licence + client's choice + no open exception) or by the worker and the client, and
disputes that staff resolve."""
