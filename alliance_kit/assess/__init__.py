"""Assess: the six cracks scored from the survey and the records (health), failure risk,
the questionnaire and the survey rounds; with the survey page widgets."""
