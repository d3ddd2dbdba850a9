/** PostgreSQL helpers; they live in scripts/lib so the cluster harness and the benchmark share them. */
export * from '../../scripts/lib/postgres';
