/**
 * {@code herd hit}: an HTTP/1.1 load client for checking a balancer and its instances, the seed's
 * {@code client.ts} grown up.
 *
 * <p>The decisions are pure and clock-driven, each in a small class: {@link dev.herd.hit.Schedule}
 * (which request is next and when it is due, open or closed loop), {@link dev.herd.hit.Tally}
 * (counts per instance, per error kind and per second, latency histograms),
 * {@link dev.herd.hit.Failures} (what kind of error a failure is), {@link dev.herd.hit.InstanceRule}
 * (which instance answered) and the report model {@link dev.herd.hit.HitSummary} with its text and
 * HTML renderings. {@link dev.herd.hit.HitClient} carries them out on Netty, and
 * {@link dev.herd.hit.HitCommand} is the thin picocli command.
 */
package dev.herd.hit;
