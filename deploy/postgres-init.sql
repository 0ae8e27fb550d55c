-- Run once by the postgres image on an empty data volume (docker-compose.yml, configs.postgres-init).
-- On an existing cluster create a new storage element's database by hand.
CREATE DATABASE artstore_admin;
CREATE DATABASE artstore_query;
CREATE DATABASE artstore_se1;
CREATE DATABASE artstore_se2;
CREATE DATABASE artstore_se3;
CREATE DATABASE artstore_se4;
