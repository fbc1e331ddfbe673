"""Billing: pay weeks, pay rules, payroll runs and provider exports, invoices, licence charges."""
