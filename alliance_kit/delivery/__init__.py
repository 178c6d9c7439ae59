"""Delivery: how pages reach people. The report batch, publishing (HTML, PDF), the
Voila servers and the processes behind them."""
