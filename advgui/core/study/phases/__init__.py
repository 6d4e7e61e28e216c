"""The study's phases, one module a group, mixed into Study (study/engine.py), which runs them in
the order of Study.PHASES: opening (nothing is written before the folder is proven this study's),
classify, resume (the rows here are this study's as the inputs are now), attack (and the extras'
catch-up and the features), finish (close the files, write the reports)."""
