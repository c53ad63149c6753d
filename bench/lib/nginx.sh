# Sourced by the focused bench scripts: one nginx worker answering GET / with 200 "hello\n",
# access log off, keep-alive without a request limit, on 127.0.0.1, pinned to CPU 0.
#
#   free_port                 prints a free loopback TCP port
#   nginx_config DIR PORT     writes DIR/nginx.conf (DIR also holds its pid, log and temp files)
#   wait_up PORT              waits (up to 5 s) until GET / on PORT answers; exits 1 otherwise

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

nginx_config() {
  local dir=$1 port=$2
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $dir/nginx.pid; error_log $dir/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $dir; proxy_temp_path $dir;
  fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:$port backlog=4096; location = / { return 200 "hello\n"; } } }
CONF
}

wait_up() {
  local _
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done
  echo "server on port $1 did not start" >&2
  exit 1
}
