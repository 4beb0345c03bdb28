namespace Distill.StudentTrainer.Teacher;

/// <summary>The teacher answered with another model version while the version is pinned.</summary>
public sealed class TeacherVersionChangedException(string pinnedVersion, string newVersion, string replica)
    : InvalidOperationException(
        $"The teacher's model changed from version {pinnedVersion} to {newVersion} (at {replica}) while the version is pinned; " +
        "restore the teacher's folder or run without pinning the version.")
{
    public string PinnedVersion { get; } = pinnedVersion;

    public string NewVersion { get; } = newVersion;

    /// <summary>The replica that answered with the new version.</summary>
    public string Replica { get; } = replica;
}
