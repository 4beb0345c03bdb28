using System.Net;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;
using Distill.Testing;

namespace Distill.StudentTrainer.Tests.Teacher;

/// <summary>The client's resilience pipeline against a stub server that counts attempts.</summary>
public sealed class TeacherResilienceTests
{
    private static readonly TopKRequest Request = new([[1, 2, 3]], K: 2);

    [Fact]
    public async Task A_429_is_retried_after_the_Retry_After_delay()
    {
        var clock = new SteppedClock();
        var stub = new StubTeacherHandler((attempt, request) => attempt == 1
            ? StubTeacherHandler.Problem(HttpStatusCode.TooManyRequests, "busy", retryAfter: TimeSpan.FromSeconds(1))
            : StubTeacherHandler.TopKAnswer(request, "v1"));
        using var http = new TeacherHttpClients(TeacherTestOptions.Fast, () => stub, clock);
        using var stop = new CancellationTokenSource();
        Task<TopKResult> call = http.Create(StubTeacherHandler.Address, "stub").TopKAsync(Request, stop.Token);
        try
        {
            // The only timer shorter than the attempt and total timeouts is the wait before the retry.
            Task<TimeSpan> retryWait = clock.WaitForTimerAsync(delay => delay < TeacherTestOptions.Fast.AttemptTimeout, stop.Token);
            await Task.WhenAny(call, retryWait);
            Assert.False(call.IsCompleted, $"answered after {stub.Attempts} attempts without waiting for the clock");
            TimeSpan wait = await retryWait;
            Assert.Equal(1, stub.Attempts);
            // The backoff alone would wait about 20 ms.
            Assert.True(wait >= TimeSpan.FromSeconds(0.9), $"retried after {wait.TotalSeconds:0.00} s");
            clock.Advance(wait);
            TopKResult answer = await call.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(2, stub.Attempts);
            Assert.Equal("v1", answer.Version);
        }
        finally
        {
            // A failed assertion must not leave the call waiting for the fake clock: the client would not close.
            await stop.CancelAsync();
            clock.Advance(TeacherTestOptions.Fast.TotalTimeout);
            await Task.WhenAny(call);
        }
    }

    [Fact]
    public async Task A_400_is_not_retried_and_its_detail_reaches_the_caller()
    {
        var stub = new StubTeacherHandler((_, _) => StubTeacherHandler.Problem(HttpStatusCode.BadRequest, "k = 0 is outside [1, 256]."));
        using var http = new TeacherHttpClients(TeacherTestOptions.Fast, () => stub);
        var error = await Assert.ThrowsAsync<TeacherRequestException>(() =>
            http.Create(StubTeacherHandler.Address, "stub").TopKAsync(Request, CancellationToken.None));

        Assert.Equal(1, stub.Attempts);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("k = 0 is outside [1, 256].", error.Detail);
        Assert.Contains("k = 0 is outside [1, 256].", error.Message);
        Assert.False(error.IsReplicaFault);
    }

    [Fact]
    public async Task A_connection_error_and_a_503_are_retried()
    {
        var stub = new StubTeacherHandler((attempt, request) => attempt switch
        {
            1 => throw new HttpRequestException("Connection refused", null, HttpStatusCode.ServiceUnavailable),
            2 => StubTeacherHandler.Problem(HttpStatusCode.ServiceUnavailable, "ONNX Runtime failed"),
            _ => StubTeacherHandler.TopKAnswer(request, "v1"),
        });
        using var http = new TeacherHttpClients(TeacherTestOptions.Fast, () => stub);
        TopKResult answer = await http.Create(StubTeacherHandler.Address, "stub").TopKAsync(Request, CancellationToken.None);

        Assert.Equal(3, stub.Attempts);
        Assert.Equal(3, answer.Sequences[0].Length);
    }

    [Fact]
    public async Task A_lasting_503_fails_after_the_configured_retries_with_the_status()
    {
        var stub = new StubTeacherHandler((_, _) => StubTeacherHandler.Problem(HttpStatusCode.ServiceUnavailable, "out of memory"));
        using var http = new TeacherHttpClients(TeacherTestOptions.Fast, () => stub);
        var error = await Assert.ThrowsAsync<TeacherRequestException>(() =>
            http.Create(StubTeacherHandler.Address, "stub").TopKAsync(Request, CancellationToken.None));

        Assert.Equal(TeacherTestOptions.Fast.MaxRetryAttempts + 1, stub.Attempts);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.True(error.IsReplicaFault);
    }

    [Fact]
    public async Task When_every_replica_stays_down_a_request_fails_after_the_patience_naming_the_replicas()
    {
        var dead = new Uri($"http://127.0.0.1:{TeacherServerProcess.FreeLoopbackPort()}/");
        var options = TeacherTestOptions.Fast with { Patience = TimeSpan.FromSeconds(1) };
        var clock = new SteppedClock();
        using var http = new TeacherHttpClients(options);
        using var teacher = new ReplicatedTeacher([http.Create(dead, "tiny")], Model("v1"), options, time: clock);
        Task<TopKResult> call = teacher.TopKAsync(Request, CancellationToken.None);

        TimeSpan waited = await clock.RunUntilAsync(call, limit: TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<TeacherUnavailableException>(() => call);

        Assert.InRange(waited, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Contains(dead.AbsoluteUri, error.Message);
        Assert.Contains("patience 1 s", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    internal static ModelInfo Model(string version) => new("stub", version, 300, 64, "byte-level-bpe", new string('f', 64), 0);
}
