-- One database per service, owned by the role the services connect as
-- (POSTGRES_USER). Run once, by the postgres image on an empty data
-- directory (docker-compose), or by the dev overlay's StatefulSet.
CREATE DATABASE users;
CREATE DATABASE products;
CREATE DATABASE cart;
CREATE DATABASE orders;
CREATE DATABASE payments;
CREATE DATABASE notifications;
