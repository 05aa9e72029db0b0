"""Views, split by who uses them: clinic.py (clinicians), me.py (patients)."""
