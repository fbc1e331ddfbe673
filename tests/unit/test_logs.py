import json
import logging

from chassis.logs import JsonFormatter, correlation_id_var


def test_log_lines_are_json_with_the_correlation_id():
    record = logging.LogRecord("worklb", logging.INFO, __file__, 1, "booked %s", ("ana",), None)
    record.fields = {"shift": "s1"}
    token = correlation_id_var.set("corr-77")
    try:
        line = json.loads(JsonFormatter("booking").format(record))
    finally:
        correlation_id_var.reset(token)
    assert line["message"] == "booked ana"
    assert line["correlation_id"] == "corr-77"
    assert line["service"] == "booking"
    assert line["shift"] == "s1"
