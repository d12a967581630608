// Integration tests talk to real servers: give each test two minutes unless it asks for more.
jest.setTimeout(120_000);
