namespace Distill.StudentTrainer.Teacher
{
    public sealed class TeacherVersionTracker(bool pin, Action<string, string> changed)
    {
        public string? Current { get; private set; }
        public int Changes { get; private set; }
        public void Restore(string? current, int changes) { Current = current; Changes = changes; }
        public void Record(string version)
        {
            if (Current is not null && Current != version)
            {
                if (pin) throw new InvalidOperationException("pinned");
                Changes++; changed(Current, version);
            }
            Current = version;
        }
    }
}
namespace Distill.StudentTrainer.Teacher
{
    public sealed record StudentVocabulary(string Fingerprint, int VocabSize);
    public sealed record TeacherClientOptions;
    public static class TeacherConnector
    {
        public static Task<ITeacher> ConnectAsync(IReadOnlyList<Uri> urls, string? model, StudentVocabulary expected, int contextNeeded, TeacherClientOptions options, CancellationToken ct) => throw new NotImplementedException();
    }
    public sealed class TeacherServerProcess : IAsyncDisposable
    {
        public Uri BaseAddress => throw new NotImplementedException();
        public int ProcessId => 0;
        public static Task<TeacherServerProcess> StartAsync(string models, string log, int threads, CancellationToken ct) => throw new NotImplementedException();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
