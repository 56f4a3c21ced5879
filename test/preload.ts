// @peculiar/x509 needs the Reflect metadata API before it is imported.
import "reflect-metadata";
