"""Individual and joint assessments, delegates, observations, progress and the timeline."""
