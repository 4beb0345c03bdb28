using Distill.Testing;
using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Tests.Teacher;

/// <summary>Real TeacherServer processes going away and coming back while the trainer keeps asking.</summary>
public sealed class TeacherFailoverTests(TeacherServerFixture fixture) : IClassFixture<TeacherServerFixture>
{
    private static readonly TopKRequest Request = new([[10, 20, 30, 40, 50, 60], [7, 8, 9]], K: 5);

    [Fact]
    public async Task A_request_sent_while_the_teacher_is_stopped_completes_once_it_is_started_again_on_the_same_port()
    {
        using ReplicatedTeacher teacher = await TeacherConnector.ConnectAsync(
            [fixture.Server.BaseAddress], null, fixture.Vocabulary, TeacherServerFixture.ContextLength, TeacherTestOptions.Fast);
        TopKResult before = await teacher.TopKAsync(Request, CancellationToken.None);
        int firstProcess = fixture.Server.ProcessId;

        await fixture.Server.StopAsync();
        Task<TopKResult> pending = teacher.TopKAsync(Request, CancellationToken.None);
        // The request's attempt failed and marked the replica down: from then on it waits for the teacher.
        await Conditions.WaitUntilAsync(() => !Assert.Single(teacher.ReplicaStats).IsUp, "the replica marked down");
        Assert.False(pending.IsCompleted, "the request must wait for the teacher, not fail");

        await fixture.Server.StartAsync();
        TopKResult after = await pending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(firstProcess, fixture.Server.ProcessId);

        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Sequences.Select(s => s.Ids), after.Sequences.Select(s => s.Ids));
        Assert.Equal(before.Sequences.Select(s => s.Logprobs), after.Sequences.Select(s => s.Logprobs));
        TeacherReplicaStats replica = Assert.Single(teacher.ReplicaStats);
        Assert.True(replica.IsUp);
        Assert.True(replica.Failures >= 1);
        Assert.True(replica.TimeDown > TimeSpan.Zero);
        Assert.Equal(0, teacher.Versions.Changes);
        string log = await File.ReadAllTextAsync(fixture.Server.LogFile);
        Assert.Contains("stopped (exit code", log);
        Assert.True(log.Split("Now listening on: " + fixture.Server.BaseAddress.AbsoluteUri.TrimEnd('/')).Length >= 3, "two starts on the same port are logged");
    }

    [Fact]
    public async Task A_server_that_exits_before_it_is_ready_fails_the_start_with_its_log_tail()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TeacherServerProcess.StartAsync(new TeacherServerProcessOptions
        {
            ModelsFolder = fixture.ModelsFolder,
            LogFile = fixture.NewLogFile("bad"),
            ExtraArguments = ["--max-k", "0"],
        }));
        Assert.Contains("exited with code 1 ", error.Message); // a clean one-line error, not an unhandled-exception abort (134)
        Assert.Contains("MaxK", error.Message);
    }

    [Fact]
    public async Task With_one_replica_dead_every_request_is_answered_and_the_dead_one_gets_requests_again_once_it_is_back()
    {
        int deadPort = TeacherServerProcess.FreeLoopbackPort();
        using var http = new TeacherHttpClients(TeacherTestOptions.Fast);
        ModelInfo model = (await TeacherClient.ListModelsAsync(http.CreateHttpClient(fixture.Server.BaseAddress), CancellationToken.None)).Single();
        using var teacher = new ReplicatedTeacher(
            [http.Create(fixture.Server.BaseAddress, model.Name), http.Create(new Uri($"http://127.0.0.1:{deadPort}/"), model.Name)],
            model, TeacherTestOptions.Fast);

        for (var i = 0; i < 6; i++) Assert.Equal(5, (await teacher.TopKAsync(Request, CancellationToken.None)).K);
        TeacherReplicaStats live = teacher.ReplicaStats[0], dead = teacher.ReplicaStats[1];
        Assert.True(live.IsUp);
        Assert.Equal(6, live.Requests);
        Assert.False(dead.IsUp);
        Assert.True(dead.Failures >= 1);
        Assert.Equal(dead.Failures, dead.Requests); // skipped once down: only the requests that found it dead went there

        await using TeacherServerProcess revived = await fixture.StartServerAsync(deadPort);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (teacher.ReplicaStats[1].Requests == teacher.ReplicaStats[1].Failures && DateTime.UtcNow < deadline)
        {
            await teacher.TopKAsync(Request, CancellationToken.None);
            await Task.Delay(50);
        }
        dead = teacher.ReplicaStats[1];
        Assert.True(dead.IsUp);
        Assert.True(dead.Requests > dead.Failures, "the revived replica must answer requests again");
    }
}
