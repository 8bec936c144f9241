// The seed's PM2 ecosystem file, as a PM2 user writes it: herd reads it unchanged.
// server.js reads PORT; in cluster mode env.PORT is the public port, and each instance is given
// an internal port of its own behind it.
//   bin/herd start examples/node/ecosystem.config.js
module.exports = {
  apps: [
    {
      name: 'pm2-cluster-app',
      script: './server.js',
      instances: 'max',                // one instance per core
      exec_mode: 'cluster',
      env: {
        PORT: 3000,
      },
      max_restarts: 5,                 // up to 5 unstable restarts in a row
      restart_delay: 5000,             // 5 s between restarts
      exp_backoff_restart_delay: 100,  // exponential backoff (replaces restart_delay when set)
    },
  ],
};
