"""The front door: API Gateway's HTTP API per stack (payload 2.0 events and responses, IAM
authorisation by SigV4) and the network path's delays before a request reaches Lambda."""
