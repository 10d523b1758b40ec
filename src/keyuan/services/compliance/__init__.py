"""Compliance use cases: notices, impact assessments, the audit chain, retention and purges,
rights, the filing counter, the inspector's report and the dashboards."""
