"""Layer 1, pure but for reading profile files. Local procedure profiles and each nation's working calendar.

Entry point: `pipeline.procedure.profile.load_profiles` and `Profile.working_calendar(nation)`.
"""
