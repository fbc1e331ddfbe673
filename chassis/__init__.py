"""The WorkLB service chassis: the one shared piece every service and the gateway stand on.

Services import only this package and their own; see docs/ARCHITECTURE.md.
"""
