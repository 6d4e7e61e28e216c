"""Running a study on a cluster: optional (pip install -e ".[cluster]")."""
