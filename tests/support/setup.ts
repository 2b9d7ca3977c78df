// @peculiar/x509 needs the metadata polyfill before it loads.
import 'reflect-metadata';
