using Distill.Testing;
using System.Net;
using System.Text;
using Distill.Shared.Wire;
using Distill.TeacherServer.Memory;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Bodies are read after admission, into buffers that grow with the bytes that arrived (never to a claimed length),
/// within the body budget; slow uploads are dropped and aborted ones are not errors. Through Kestrel, whose limits apply.
/// Not run beside other tests: one of them measures the process's managed heap.
/// </summary>
[Collection(MemoryMeasurements.Name)]
public sealed class RequestBodyTests
{
    private const string TopKPath = "/v1/models/{0}/topk";
    private const string HostingLog = "Microsoft.AspNetCore.Hosting.Diagnostics";

    [Fact]
    public async Task Idle_uploads_claiming_huge_bodies_reserve_no_memory_and_are_dropped_when_too_slow()
    {
        const int uploads = 40;
        const long claimed = 67_000_000;
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "idle")),
            new Dictionary<string, string?>
            {
                ["TeacherServer:MinRequestBodyBytesPerSecond"] = "1000",
                ["TeacherServer:DataRateGraceSeconds"] = "2",
                ["TeacherServer:BodyBudgetBytes"] = (8L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture), // generous: only the buffers' sizes are measured
            },
            kestrel: true);
        await host.WaitForModelAsync("idle");
        var registry = host.Services.GetRequiredService<ModelRegistry>();
        var bodies = host.Services.GetRequiredService<MemoryBudgets>().Bodies;
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var idle = new List<RawUpload>();
        try
        {
            for (var i = 0; i < uploads; i++)
            {
                idle.Add(await RawUpload.StartAsync(host.Address!, string.Format(TopKPath, "idle"), WireMediaTypes.TopKBinary, claimed, "D"u8.ToArray()));
            }
            await Conditions.WaitUntilAsync(() => registry.Admitted("idle") == uploads, "every upload admitted");
            // Each handler holds its first 16 KiB buffer once its byte arrived, and then waits for more.
            await Conditions.WaitUntilAsync(() => bodies.InUse >= uploads * 16 * 1024, "every handler waiting for body bytes");
            var heapDuring = GC.GetTotalMemory(forceFullCollection: true);

            Assert.True(heapDuring - heapBefore < 16 << 20,
                $"{uploads} idle uploads claiming {claimed} bytes each grew the managed heap by {(heapDuring - heapBefore) >> 20} MiB");
            Assert.True(bodies.InUse <= uploads * 16 * 1024);
            var answer = await TopKCalls.JsonAsync(host.Client, "idle", new TopKRequest([[1, 2, 3]], 2, 1f));
            Assert.Single(answer.Sequences);

            // Slower than 1000 B/s after the 2 s grace: Kestrel ends each read, the slot and the budget are given back.
            await Conditions.WaitUntilAsync(() => registry.Admitted("idle") == 0, "every slow upload dropped");
            Assert.StartsWith("HTTP/1.1 408", await idle[0].ReadStatusLineAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(0, bodies.InUse);
        }
        finally
        {
            idle.ForEach(u => u.Dispose());
        }
    }

    [Fact]
    public async Task An_aborted_upload_is_logged_as_information_not_as_an_error()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "aborted")),
            new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Distill"] = "Information",
                [$"Logging:LogLevel:{HostingLog}"] = "Information", // its "Request finished" comes after anything logged about the request
            },
            kestrel: true);
        await host.WaitForModelAsync("aborted");
        var bodies = host.Services.GetRequiredService<MemoryBudgets>().Bodies;

        using (var upload = await RawUpload.StartAsync(host.Address!, string.Format(TopKPath, "aborted"), WireMediaTypes.Json, 100_000, new byte[1000]))
        {
            await Conditions.WaitUntilAsync(() => bodies.InUse > 0, "the handler reading the body");
            upload.HangUp();
        }
        await Conditions.WaitUntilAsync(() => host.Logs.Entries.Any(e => e.Category == HostingLog
                && e.Message.StartsWith("Request finished", StringComparison.Ordinal) && e.Message.Contains("/aborted/topk", StringComparison.Ordinal)),
            "the end of the request");

        Assert.DoesNotContain(host.Logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains("ended early", StringComparison.Ordinal));
        Assert.All(host.Logs.Entries.Where(e => e.Message.Contains("ended early", StringComparison.Ordinal)),
            e => Assert.Equal(LogLevel.Information, e.Level));
    }

    [Fact]
    public async Task A_request_finding_the_body_budget_taken_is_429_with_retry_after()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "bodies")),
            new Dictionary<string, string?> { ["TeacherServer:BodyBudgetBytes"] = "49152" }, kestrel: true);
        await host.WaitForModelAsync("bodies");
        var budgets = host.Services.GetRequiredService<MemoryBudgets>();
        var padded = Encoding.UTF8.GetBytes("""{"sequences":[[1,2]],"k":1}""" + new string(' ', 10_000));

        using (var holder = await RawUpload.StartAsync(host.Address!, string.Format(TopKPath, "bodies"), WireMediaTypes.Json, 40_000, new byte[39_999]))
        {
            // The stalled body holds what arrived (its last byte never does); the padded body's 10 KB no longer fit.
            await Conditions.WaitUntilAsync(() => budgets.Bodies.InUse >= 39_999, "the stalled body's bytes taken");
            // Refused before its body is read, the request's connection may be closed: it asks for that, so the next request has its own.
            using var refusal = new HttpRequestMessage(HttpMethod.Post, "/v1/models/bodies/topk")
            {
                Content = new ByteArrayContent(padded) { Headers = { { "Content-Type", WireMediaTypes.Json } } },
                Headers = { ConnectionClose = true },
            };
            using var refused = await host.Client.SendAsync(refusal);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Contains("49152", await refused.Content.ReadAsStringAsync());
            holder.HangUp();
        }
        await Conditions.WaitUntilAsync(() => budgets.Bodies.InUse == 0, "the stalled body's bytes given back");
        using var admitted = await host.Client.PostAsync("/v1/models/bodies/topk", new ByteArrayContent(padded) { Headers = { { "Content-Type", WireMediaTypes.Json } } });
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }
}
