"""Opinion leaders: the members an organisation works with because others follow them."""
