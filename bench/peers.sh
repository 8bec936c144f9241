# HAProxy and nginx configured as the peers of herd's own bench scripts: in front of the node
# backends on 127.0.0.1:3001 and :3002, listening on 127.0.0.1:8080. Source it after the shared
# lib.sh (it writes under $RUN); do not run it.

haproxy_cfg() {  # haproxy_cfg xff|plain
  local extra=""
  [[ $1 == xff ]] && extra="    option forwardfor
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Host %[req.hdr(host)]"
  cat >"$RUN/peer-haproxy.cfg" <<EOF
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
    http-reuse safe
frontend fe
    bind 127.0.0.1:8080
$extra
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:3001
    server s2 127.0.0.1:3002
EOF
  echo "$RUN/peer-haproxy.cfg"
}

nginx_cfg() {  # nginx_cfg xff|plain
  local extra=""
  [[ $1 == xff ]] && extra='proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;'
  mkdir -p "$RUN/peer-nginx"
  cat >"$RUN/peer-nginx/nginx.conf" <<EOF
worker_processes auto;
pid $RUN/peer-nginx/nginx.pid;
error_log $RUN/peer-nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    upstream be { server 127.0.0.1:3001; server 127.0.0.1:3002; keepalive 64; }
    server {
        listen 127.0.0.1:8080;
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            $extra
        }
    }
}
EOF
  echo "$RUN/peer-nginx/nginx.conf"
}
