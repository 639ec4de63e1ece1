"""我的订单: the customer's orders, their search and each order's page (what the refund rules allow now)."""
