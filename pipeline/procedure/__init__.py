"""Layer 1, pure but for reading profile files. Local procedure profiles and each nation's working calendar.

Entry point: `pipeline.procedure.profile_files.load_profiles` (also importable from
`pipeline.procedure.profile`) and `Profile.working_calendar(nation)`.
"""
