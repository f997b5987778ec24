module gmpkit/peers

go 1.19
