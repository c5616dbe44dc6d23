# polymarket-actors: the headless service (`pma start`), paper trading unless told otherwise.
# The CLI runs TypeScript through tsx (a runtime dependency), so there is no build stage.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY actors ./actors
COPY events ./events
COPY domain ./domain
COPY machines ./machines
COPY streams ./streams
COPY deploy/healthcheck.js deploy/control.js ./deploy/
# The default config; docker-compose.yml mounts deploy/config.json over it.
COPY deploy/config.json ./config/config.json

# The event log lives on a volume owned by the unprivileged `node` user of the base image.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node

# /metrics and /healthz; the service binds 127.0.0.1 unless PMA_METRICS_HOST says otherwise.
# The operator's listener (127.0.0.1:9465, token in PMA_CONTROL_TOKEN) is not exposed: use
# `docker compose exec bot node deploy/control.js kill|resume|portfolio`.
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "deploy/healthcheck.js", "http://127.0.0.1:9464/healthz"]

CMD ["node", "bin/pma.js", "start", "--config", "/app/config/config.json", "--log", "/data/events.jsonl", "--metrics-port", "9464"]
