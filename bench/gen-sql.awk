# The benchmark's SQLite workload: prints a batch of SQL for `sqlite3
# :memory:`: N single-row INSERTs in one transaction (the batch a program's
# data load sends), an index, then aggregate, join, sort and text queries.
#
# Usage: awk -v n=ROWS -f gen-sql.awk > batch.sql
BEGIN {
	if (n == "") n = 50000
	print "CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT);"
	print "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, item TEXT, qty INTEGER, price REAL, note TEXT);"
	print "BEGIN;"
	ncust = int(n / 20) + 1
	for (i = 1; i <= ncust; i++)
		printf "INSERT INTO customer VALUES(%d, 'customer %d', 'city-%d');\n", i, i, i % 97
	seed = 12345
	for (i = 1; i <= n; i++) {
		seed = (seed * 1103515245 + 12345) % 2147483648
		printf "INSERT INTO orders(customer, item, qty, price, note) VALUES(%d, 'item-%d', %d, %.2f, '%s');\n", \
			seed % ncust + 1, seed % 1000, seed % 17 + 1, (seed % 100000) / 100.0, \
			substr("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod", 1, 10 + seed % 60)
	}
	print "COMMIT;"
	print "CREATE INDEX orders_customer ON orders(customer);"
	print "CREATE INDEX orders_item ON orders(item);"
	print "SELECT count(*), sum(qty * price) FROM orders;"
	print "SELECT c.city, count(*), round(sum(o.qty * o.price), 2) AS total FROM orders o JOIN customer c ON c.id = o.customer GROUP BY c.city ORDER BY total DESC LIMIT 5;"
	print "SELECT item, count(*) AS k FROM orders GROUP BY item ORDER BY k DESC, item LIMIT 5;"
	print "SELECT count(*) FROM orders WHERE note LIKE '%dolor sit%';"
	print "SELECT group_concat(name, ';') IS NOT NULL FROM (SELECT name FROM customer ORDER BY name DESC);"
	print "SELECT count(DISTINCT upper(note) || item) FROM orders;"
	print "UPDATE orders SET note = note || ' (checked)' WHERE qty > 8;"
	print "DELETE FROM orders WHERE price < 100;"
	print "SELECT customer, max(price) FROM orders GROUP BY customer ORDER BY 2 DESC LIMIT 3;"
}
