"""The auditors' view (R-28, R-30): every change of every aggregate, any state as of any time, who did what."""
