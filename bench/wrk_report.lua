-- wrk script for the benchmarks (bench/run.py).
--
-- With an argument (wrk ... -s wrk_report.lua URL -- BODIES_FILE), every
-- request is a getconfig.esp login: a form POST whose body is the next
-- line of BODIES_FILE (one form-encoded login per line), each thread
-- starting at a different line.  Without one, wrk's own GET request.
--
-- At the end one line is printed for run.py to read:
--
--   RESULT requests=N duration_us=N p50_us=N p99_us=N max_us=N
--          connect=N read=N write=N timeout=N statuses=200:N,512:N
--
-- Latencies are wrk's (from sending a request to its whole answer).

local threads = {}

function setup(thread)
    thread:set("thread_index", #threads)
    table.insert(threads, thread)
end


local bodies = {}
local next_body = 0
local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["User-Agent"] = "PAN GlobalProtect",
}
statuses = {}

function init(args)
    if args[1] == nil then
        return
    end

    for line in io.lines(args[1]) do
        if #line > 0 then
            table.insert(bodies, line)
        end
    end

    next_body = (thread_index or 0) * 5
end

function request()
    if #bodies == 0 then
        return wrk.request()
    end

    next_body = next_body + 1
    return wrk.format("POST", nil, headers,
                      bodies[(next_body % #bodies) + 1])
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local counts = {}

    for _, thread in ipairs(threads) do
        local s = thread:get("statuses")
        for status, n in pairs(s) do
            counts[status] = (counts[status] or 0) + n
        end
    end

    local parts = {}
    for status, n in pairs(counts) do
        table.insert(parts, status .. ":" .. n)
    end
    table.sort(parts)

    io.write(string.format(
        "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
        .. "connect=%d read=%d write=%d timeout=%d statuses=%s\n",
        summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99), latency.max,
        summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.timeout, table.concat(parts, ",")))
end
