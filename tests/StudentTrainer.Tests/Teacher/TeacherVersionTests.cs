using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Tests.Teacher;

public sealed class TeacherVersionTests
{
    private static readonly TopKRequest Request = new([[1, 2, 3]], K: 2);

    [Fact]
    public void A_change_is_counted_once_and_reported_from_old_to_new()
    {
        var tracker = new TeacherVersionTracker();
        var reported = new List<TeacherVersionChange>();
        tracker.Changed += reported.Add;
        foreach (string version in (string[])["a", "a", "b", "b", "b"]) tracker.Record(version, "replica-1");

        Assert.Equal(1, tracker.Changes);
        Assert.Equal([new TeacherVersionChange("replica-1", "a", "b")], reported);
        Assert.Equal("b", tracker.Current);
        Assert.Equal(["a", "b"], tracker.SeenVersions.Order());
    }

    [Fact]
    public void Replicas_serving_different_versions_are_not_changes_unless_pinned()
    {
        var tracker = new TeacherVersionTracker();
        for (var i = 0; i < 3; i++)
        {
            tracker.Record("a", "replica-1");
            tracker.Record("b", "replica-2");
        }
        Assert.Equal(0, tracker.Changes);

        var pinned = new TeacherVersionTracker(pinVersion: true);
        pinned.Record("a", "replica-1");
        var error = Assert.Throws<TeacherVersionChangedException>(() => pinned.Record("b", "replica-2"));
        Assert.Equal(("a", "b", "replica-2"), (error.PinnedVersion, error.NewVersion, error.Replica));
    }

    [Fact]
    public void A_resumed_tracker_continues_the_count_and_keeps_the_pin()
    {
        var reported = new List<(string, string)>();
        var tracker = new TeacherVersionTracker(changed: (before, after) => reported.Add((before, after)));
        tracker.Restore("a", 2);
        tracker.Record("a");
        tracker.Record("b");
        Assert.Equal(3, tracker.Changes);
        Assert.Equal([("a", "b")], reported);

        var pinned = new TeacherVersionTracker(pinVersion: true);
        pinned.Restore("a", 0);
        Assert.Throws<TeacherVersionChangedException>(() => pinned.Record("b"));
    }

    [Fact]
    public async Task Concurrent_records_of_a_new_version_count_one_change()
    {
        var tracker = new TeacherVersionTracker();
        tracker.Record("a", "replica-1");
        var reported = 0;
        tracker.Changed += _ => Interlocked.Increment(ref reported);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++) tracker.Record("b", "replica-1");
        })));

        Assert.Equal(1, tracker.Changes);
        Assert.Equal(1, reported);
    }

    [Fact]
    public async Task A_teacher_whose_version_changes_mid_run_is_counted_and_fatal_when_pinned()
    {
        var stub = new StubTeacherHandler((attempt, request) => StubTeacherHandler.TopKAnswer(request, attempt <= 2 ? "v1" : "v2"));
        using var http = new TeacherHttpClients(TeacherTestOptions.Fast, () => stub);
        using var teacher = new ReplicatedTeacher([http.Create(StubTeacherHandler.Address, "stub")], TeacherResilienceTests.Model("v1"), TeacherTestOptions.Fast);
        var changes = new List<TeacherVersionChange>();
        teacher.Versions.Changed += changes.Add;
        for (var i = 0; i < 4; i++) await teacher.TopKAsync(Request, CancellationToken.None);

        Assert.Equal(1, teacher.Versions.Changes);
        Assert.Equal([new TeacherVersionChange(StubTeacherHandler.Address.AbsoluteUri, "v1", "v2")], changes);

        var pinnedStub = new StubTeacherHandler((attempt, request) => StubTeacherHandler.TopKAnswer(request, attempt <= 2 ? "v1" : "v2"));
        var pinnedOptions = TeacherTestOptions.Fast with { PinVersion = true };
        using var pinnedHttp = new TeacherHttpClients(pinnedOptions, () => pinnedStub);
        using var pinned = new ReplicatedTeacher([pinnedHttp.Create(StubTeacherHandler.Address, "stub")], TeacherResilienceTests.Model("v1"), pinnedOptions);
        await pinned.TopKAsync(Request, CancellationToken.None);
        await pinned.TopKAsync(Request, CancellationToken.None);
        var error = await Assert.ThrowsAsync<TeacherVersionChangedException>(() => pinned.TopKAsync(Request, CancellationToken.None));
        Assert.Contains("from version v1 to v2", error.Message);
        Assert.True(Assert.Single(pinned.ReplicaStats).IsUp);
    }
}
