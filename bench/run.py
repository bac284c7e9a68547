"""`make bench`: every benchmark, figures as ratios against baselines measured in the same run."""

from bench import audit, cross_province, replication_catchup

if __name__ == "__main__":
    replication_catchup.main([])
    cross_province.main([])
    audit.main([])
