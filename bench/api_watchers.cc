// Holds N watch streams of one service's endpoints on an agent's API and
// records, for each stream, when each change of the first endpoint's
// readiness arrived, for bench/api_load.py. One thread, epoll: the time of
// each arrival is taken when epoll reports the bytes, before any parsing,
// so that the client's own work does not count as the server's latency.
//
//   api_watchers HOST PORT STREAMS PATH CHANGES TIMEOUT_S [SOURCE_PREFIX]
//
// Connects STREAMS times (from SOURCE_PREFIX.1-50 when given, e.g.
// "127.0.3", so that the streams come from 50 client addresses), sends
// "GET PATH", then reads until every stream saw CHANGES readiness values
// (the first is the initial state) or TIMEOUT_S passed. Prints "ready" on
// stdout once every stream has its first value, then one line per stream:
// the arrival times (Unix seconds) of its values, space-separated.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Stream {
  int fd = -1;
  std::string buffer;  // what came, not yet looked at
  int last = -1;       // the last readiness seen: -1 none, 0, 1
  std::vector<double> arrivals;
};

// Finds readiness values in the event lines of `s.buffer` (the chunk
// framing is left in: an event line never spans the framing's digits in a
// way that would fake `"ready":`), records changes at `when`.
void Scan(Stream& s, double when) {
  size_t at = 0;
  while (true) {
    const size_t nl = s.buffer.find('\n', at);
    if (nl == std::string::npos) break;
    const std::string line = s.buffer.substr(at, nl - at);
    at = nl + 1;
    const size_t ready = line.find("\"ready\":");
    if (ready == std::string::npos || line.find("\"endpoints\":[{") == std::string::npos) continue;
    const int value = line.compare(ready + 8, 4, "true") == 0 ? 1 : 0;
    if (value != s.last) {
      s.last = value;
      s.arrivals.push_back(when);
    }
  }
  s.buffer.erase(0, at);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s HOST PORT STREAMS PATH CHANGES TIMEOUT_S [SOURCE_PREFIX]\n",
                 argv[0]);
    return 2;
  }
  const char* host = argv[1];
  const int port = std::atoi(argv[2]);
  const int count = std::atoi(argv[3]);
  const std::string path = argv[4];
  const size_t changes = std::strtoul(argv[5], nullptr, 10);
  const double timeout = std::atof(argv[6]);
  const std::string prefix = argc > 7 ? argv[7] : "";

  const int epoll = epoll_create1(0);
  std::vector<Stream> streams(count);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  for (int i = 0; i < count; ++i) {
    Stream& s = streams[i];
    s.fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (!prefix.empty()) {
      inet_pton(AF_INET, (prefix + "." + std::to_string(i % 50 + 1)).c_str(), &addr.sin_addr);
      if (bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::perror("bind");
        return 1;
      }
    }
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        send(s.fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
      std::perror("connect");
      return 1;
    }
    fcntl(s.fd, F_SETFL, fcntl(s.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(epoll, EPOLL_CTL_ADD, s.fd, &ev);
  }

  const double deadline = Now() + timeout;
  bool announced = false;
  std::vector<epoll_event> events(1024);
  char chunk[65536];
  while (Now() < deadline) {
    const int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
    const double when = Now();
    for (int e = 0; e < n; ++e) {
      Stream& s = streams[events[e].data.u32];
      const ssize_t got = recv(s.fd, chunk, sizeof chunk, 0);
      if (got <= 0) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, s.fd, nullptr);
        continue;
      }
      s.buffer.append(chunk, static_cast<size_t>(got));
      Scan(s, when);
    }
    size_t least = changes;
    for (const Stream& s : streams) least = std::min(least, s.arrivals.size());
    if (!announced && least >= 1) {
      std::printf("ready\n");
      std::fflush(stdout);
      announced = true;
    }
    if (least >= changes) break;
  }
  if (!announced) std::printf("ready\n");
  for (const Stream& s : streams) {
    std::string line;
    for (double t : s.arrivals) line += std::to_string(t) + " ";
    std::printf("%s\n", line.c_str());
  }
  return 0;
}
