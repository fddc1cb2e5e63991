<?php
// The php-fpm reference for `make bench`: the three /orders routes the way a shop would write
// them in plain PHP (PDO SQLite in WAL mode, a persistent connection per child, the Dintero
// token cached in APCu, curl for the session call), so the Swift workers are measured against
// it in the same run. Not part of the service; nginx in bench.sh sends /orders here.
declare(strict_types=1);

const CURRENCIES = ['NOK', 'SEK', 'DKK', 'EUR', 'USD', 'GBP'];

function reply(int $status, array $body): void {
    http_response_code($status);
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    echo json_encode($body, JSON_UNESCAPED_SLASHES);
}

function problem(int $status, string $title, string $detail, ?string $field = null): void {
    $body = ['type' => 'about:blank', 'title' => $title, 'status' => $status, 'detail' => $detail];
    if ($field !== null) $body['field'] = $field;
    http_response_code($status);
    header('Content-Type: application/problem+json');
    echo json_encode($body, JSON_UNESCAPED_SLASHES);
}

function db(): PDO {
    $pdo = new PDO('sqlite:' . getenv('ORDERS_DB'), null, null, [
        PDO::ATTR_PERSISTENT => true,
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
    ]);
    $pdo->exec('PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL');
    return $pdo;
}

function now_ms(): int { return (int) floor(microtime(true) * 1000); }

function iso(int $ms): string {
    return gmdate('Y-m-d\TH:i:s', intdiv($ms, 1000)) . sprintf('.%03dZ', $ms % 1000);
}

function uuid4(): string {
    $b = random_bytes(16);
    $b[6] = chr((ord($b[6]) & 0x0f) | 0x40);
    $b[8] = chr((ord($b[8]) & 0x3f) | 0x80);
    return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($b), 4));
}

function present(array $o, bool $links = true): array {
    $out = [
        'id' => $o['id'], 'created_at' => iso((int) $o['created_at']), 'amount' => (int) $o['amount'],
        'currency' => $o['currency'], 'receipt' => $o['receipt'], 'status' => $o['status'],
    ];
    if ($links && $o['session_url'] !== null) $out['links'] = [['rel' => 'session_link', 'href' => $o['session_url']]];
    return $out;
}

/** POST with a JSON body; returns [status, decoded body]. A new curl handle (and TCP
 *  connection) per request: PHP keeps nothing between requests. */
function post_json(string $url, array $headers, string $body): array {
    $ch = curl_init($url);
    curl_setopt_array($ch, [
        CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_RETURNTRANSFER => true,
        CURLOPT_HTTPHEADER => array_merge($headers, ['Content-Type: application/json', 'Accept: application/json']),
        CURLOPT_TIMEOUT => 10, CURLOPT_CONNECTTIMEOUT => 5,
    ]);
    $answer = curl_exec($ch);
    $status = $answer === false ? 0 : (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    curl_close($ch);
    return [$status, $answer === false ? null : json_decode($answer, true)];
}

function token(): ?string {
    $cached = apcu_fetch('dintero_token');
    if ($cached !== false) return $cached;
    $api = getenv('DINTERO_API_URL');
    $account = getenv('DINTERO_ACCOUNT_ID');
    $basic = base64_encode(getenv('DINTERO_CLIENT_ID') . ':' . getenv('DINTERO_CLIENT_SECRET'));
    [$status, $json] = post_json("$api/v1/accounts/$account/auth/token", ["Authorization: Basic $basic"],
        json_encode(['grant_type' => 'client_credentials', 'audience' => "$api/v1/accounts/$account"], JSON_UNESCAPED_SLASHES));
    if ($status !== 200 || !isset($json['access_token'], $json['expires_in'])) return null;
    apcu_store('dintero_token', $json['access_token'], max(1, (int) ($json['expires_in'] * 0.9)));
    return $json['access_token'];
}

function transition(PDO $db, string $id, string $from, string $to, int $at, ?string $sessionID = null, ?string $sessionURL = null): void {
    $db->beginTransaction();
    $db->prepare('UPDATE orders SET status = ?, updated_at = ?, session_id = coalesce(?, session_id), session_url = coalesce(?, session_url) WHERE id = ?')
        ->execute([$to, $at, $sessionID, $sessionURL, $id]);
    $db->prepare('INSERT INTO order_events (order_id, at, from_status, to_status, source) VALUES (?, ?, ?, ?, ?)')
        ->execute([$id, $at, $from, $to, 'create']);
    $db->commit();
}

function create_order(PDO $db): void {
    $input = json_decode(file_get_contents('php://input'), true);
    if (!is_array($input)) { problem(400, 'Bad Request', 'the body must be a JSON object'); return; }
    $amount = $input['amount'] ?? null;
    if (!is_int($amount) || $amount <= 0) { problem(422, 'Unprocessable Entity', 'amount must be a positive integer (minor units)', 'amount'); return; }
    $currency = $input['currency'] ?? null;
    if (!is_string($currency) || !in_array($currency, CURRENCIES, true)) { problem(422, 'Unprocessable Entity', 'currency is not accepted', 'currency'); return; }
    $receipt = $input['receipt'] ?? null;
    if ($receipt !== null && (!is_string($receipt) || strlen($receipt) > 100)) { problem(422, 'Unprocessable Entity', 'receipt must be a string of at most 100 bytes', 'receipt'); return; }

    $id = uuid4();
    $now = now_ms();
    $db->beginTransaction();
    $db->prepare('INSERT INTO orders (id, created_at, updated_at, amount, currency, receipt, status) VALUES (?, ?, ?, ?, ?, ?, ?)')
        ->execute([$id, $now, $now, $amount, $currency, $receipt, 'CREATED']);
    $db->prepare('INSERT INTO order_events (order_id, at, from_status, to_status, source) VALUES (?, ?, NULL, ?, ?)')
        ->execute([$id, $now, 'CREATED', 'create']);
    $db->commit();

    $base = getenv('PUBLIC_BASE_URL');
    $token = token();
    [$status, $session] = $token === null ? [0, null] : post_json(getenv('DINTERO_CHECKOUT_URL') . '/v1/sessions-profile', ["Authorization: Bearer $token"],
        json_encode([
            'url' => ['return_url' => "$base/orders/$id/redirect", 'callback_url' => "$base/orders/$id/callback"],
            'order' => ['amount' => $amount, 'currency' => $currency, 'merchant_reference' => $id],
            'profile_id' => 'default',
            'expires_at' => iso($now + 86400000),
        ], JSON_UNESCAPED_SLASHES));
    if ($status < 200 || $status > 299 || !isset($session['id'], $session['url'])) {
        transition($db, $id, 'CREATED', 'SESSION_FAILED', now_ms());
        problem(502, 'Bad Gateway', 'creating the Dintero session failed');
        return;
    }
    transition($db, $id, 'CREATED', 'PENDING', now_ms(), $session['id'], $session['url']);
    reply(200, present(['id' => $id, 'created_at' => $now, 'amount' => $amount, 'currency' => $currency,
        'receipt' => $receipt, 'status' => 'PENDING', 'session_url' => $session['url']]));
}

function show_order(PDO $db, string $id): void {
    $statement = $db->prepare('SELECT * FROM orders WHERE id = ?');
    $statement->execute([$id]);
    $order = $statement->fetch();
    if ($order === false) { problem(404, 'Not Found', "no order $id"); return; }
    reply(200, present($order));
}

function list_orders(PDO $db): void {
    $limit = filter_var($_GET['limit'] ?? '20', FILTER_VALIDATE_INT, ['options' => ['min_range' => 1, 'max_range' => 100]]);
    if ($limit === false) { problem(400, 'Bad Request', 'limit must be an integer from 1 to 100', 'limit'); return; }
    $statement = $db->prepare('SELECT * FROM orders ORDER BY created_at DESC LIMIT ?');
    $statement->execute([$limit]);
    reply(200, ['orders' => array_map(fn ($o) => present($o, false), $statement->fetchAll())]);
}

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$method = $_SERVER['REQUEST_METHOD'];
try {
    $db = db();
    if ($path === '/orders' && $method === 'POST') create_order($db);
    elseif ($path === '/orders' && $method === 'GET') list_orders($db);
    elseif ($method === 'GET' && preg_match('#^/orders/([0-9a-f-]{36})$#', $path, $m)) show_order($db, $m[1]);
    else problem(404, 'Not Found', "no route for $method $path");
} catch (Throwable $e) {
    // A persistent connection outlives the request: never leave it inside a transaction.
    if (isset($db) && $db->inTransaction()) $db->rollBack();
    error_log('orders.php: ' . $e->getMessage());
    problem(503, 'Service Unavailable', 'the order store is unavailable');
}
