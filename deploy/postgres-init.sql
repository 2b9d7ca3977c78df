-- One database per service of compose.yaml's federation (run once, when the data volume is new).
CREATE DATABASE registry;
CREATE DATABASE gw_munich;
CREATE DATABASE gw_residents_office;
CREATE DATABASE gw_vehicle_authority;
CREATE DATABASE gw_business_register;
CREATE DATABASE adapter_population;
CREATE DATABASE adapter_vehicles;
CREATE DATABASE adapter_business_register;
