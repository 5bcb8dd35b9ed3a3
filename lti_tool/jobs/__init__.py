"""Background jobs: recorded in the database before they run, run on RQ (REDIS_URL), by
`flask jobs worker`, or inline in development. The database row is the truth; queues only carry
its id."""
