<?php
// `make bench`: the Dintero session call alone as php-fpm makes it (a new curl handle, so a new
// connection, per call: PHP keeps nothing between requests), sequentially for SECONDS, with
// the CPU it took (getrusage). Prints the line dintero-call-bench prints:
//   calls=N failed=F cpu_us=U
// usage: php session-calls.php SECONDS BASE_URL [CA_FILE]
declare(strict_types=1);

[$seconds, $base] = [(float) $argv[1], $argv[2]];
$tls = isset($argv[3]) ? [CURLOPT_CAINFO => $argv[3]] : [];

function call(string $url, array $headers, string $body, array $tls): array {
    $ch = curl_init($url);
    curl_setopt_array($ch, [
        CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_RETURNTRANSFER => true,
        CURLOPT_HTTPHEADER => array_merge($headers, ['Content-Type: application/json', 'Accept: application/json']),
        CURLOPT_TIMEOUT => 10,
    ] + $tls);
    $answer = curl_exec($ch);
    $status = $answer === false ? 0 : (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    curl_close($ch);
    return [$status, $answer === false ? null : json_decode($answer, true)];
}

function cpu_us(): int {
    $r = getrusage();
    return ($r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec']) * 1000000 + $r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec'];
}

$account = 'T12345678';
[$status, $token] = call("$base/v1/accounts/$account/auth/token", ['Authorization: Basic ' . base64_encode('sandbox-client:sandbox-secret')],
    json_encode(['grant_type' => 'client_credentials', 'audience' => "$base/v1/accounts/$account"], JSON_UNESCAPED_SLASHES), $tls);
if ($status !== 200 || !isset($token['access_token'])) { fwrite(STDERR, "no token from $base (status $status)\n"); exit(1); }

$calls = 0; $failed = 0;
$start = cpu_us();
$end = hrtime(true) + (int) ($seconds * 1e9);
while (hrtime(true) < $end) {
    [$status, $session] = call("$base/v1/sessions-profile", ['Authorization: Bearer ' . $token['access_token']], json_encode([
        'url' => ['return_url' => 'http://127.0.0.1/orders/x/redirect', 'callback_url' => 'http://127.0.0.1/orders/x/callback'],
        'order' => ['amount' => 29900, 'currency' => 'NOK', 'merchant_reference' => "bench-$calls"],
        'profile_id' => 'default',
    ], JSON_UNESCAPED_SLASHES), $tls);
    $calls++;
    if ($status !== 200 || !isset($session['id'])) $failed++;
}
printf("calls=%d failed=%d cpu_us=%d\n", $calls, $failed, cpu_us() - $start);
