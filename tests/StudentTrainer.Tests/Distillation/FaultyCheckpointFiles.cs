using Distill.StudentTrainer.Distillation;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>
/// The durable checkpoint steps, recorded, with one chosen step made to fail once; before and after every step it
/// checks that <c>latest</c>, when present, names a complete checkpoint.
/// </summary>
/// <param name="failOnce">Which step throws (its name and path), the first time it matches.</param>
internal sealed class FaultyCheckpointFiles(string runFolder, Func<string, string, bool>? failOnce = null) : ICheckpointFiles
{
    private bool _failed;

    /// <summary>Every step done: (name, full path; of a move, the folder moved).</summary>
    public List<(string Step, string Path)> Steps { get; } = [];

    public void Flush(string path) => Do(nameof(Flush), path, () => DurableCheckpointFiles.Instance.Flush(path));

    public void Move(string folder, string destination) => Do(nameof(Move), folder, () => DurableCheckpointFiles.Instance.Move(folder, destination));

    public void Exchange(string folder, string other) => Do(nameof(Exchange), other, () => DurableCheckpointFiles.Instance.Exchange(folder, other));

    public void Replace(string path, byte[] contents) => Do(nameof(Replace), path, () => DurableCheckpointFiles.Instance.Replace(path, contents));

    public void Delete(string folder) => Do(nameof(Delete), folder, () => DurableCheckpointFiles.Instance.Delete(folder));

    private void Do(string step, string path, Action work)
    {
        AssertLatestComplete();
        if (!_failed && failOnce?.Invoke(step, path) == true)
        {
            _failed = true;
            throw new IOException($"{step} {path} failed (injected)");
        }
        work();
        Steps.Add((step, Path.GetFullPath(path)));
        AssertLatestComplete();
    }

    private void AssertLatestComplete()
    {
        string latest = Path.Combine(runFolder, TrainingCheckpoint.Folder, TrainingCheckpoint.LatestFile);
        if (!File.Exists(latest)) return;
        string named = Path.Combine(runFolder, TrainingCheckpoint.Folder, File.ReadAllText(latest).Trim());
        Assert.True(File.Exists(Path.Combine(named, TrainingCheckpoint.StateFile)), $"latest names {named}, which is not a complete checkpoint");
    }
}
