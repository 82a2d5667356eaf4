-- The three databases of a production installation.
CREATE DATABASE kramar_tracker;
CREATE DATABASE kramar_shop;
CREATE DATABASE kramar_inbox;
