namespace Distill.StudentTrainer.Teacher;

/// <summary>One change of the version a teacher source (a replica) answered with.</summary>
public sealed record TeacherVersionChange(string Source, string OldVersion, string NewVersion);

/// <summary>
/// Records the model version of every teacher answer, per source (a replica's address), so replicas that serve
/// different versions do not count as changes. A source answering with another version than its previous answer is
/// a change: counted and reported through <see cref="Changed"/>. With <see cref="PinVersion"/>, any answer whose
/// version differs from the first one recorded (from any source) throws <see cref="TeacherVersionChangedException"/>.
/// Thread-safe.
/// </summary>
public sealed class TeacherVersionTracker
{
    /// <summary>The source of answers recorded without one (a single teacher).</summary>
    public const string DefaultSource = "teacher";

    private readonly Lock gate = new();
    private readonly Dictionary<string, string> lastBySource = new(StringComparer.Ordinal);
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);
    private string? firstVersion;
    private string? current;
    private int changes;

    /// <param name="changed">Called with the old and the new version on each change (a shorthand for <see cref="Changed"/>).</param>
    public TeacherVersionTracker(bool pinVersion = false, Action<string, string>? changed = null)
    {
        PinVersion = pinVersion;
        if (changed is not null) Changed += change => changed(change.OldVersion, change.NewVersion);
    }

    /// <summary>Raised after each change, outside the tracker's lock, on the thread that recorded the new version.</summary>
    public event Action<TeacherVersionChange>? Changed;

    public bool PinVersion { get; }

    /// <summary>The version of the latest answer recorded, or null before the first.</summary>
    public string? Current
    {
        get { lock (gate) return current; }
    }

    /// <summary>How many times a source's version changed.</summary>
    public int Changes
    {
        get { lock (gate) return changes; }
    }

    /// <summary>Every distinct version recorded so far.</summary>
    public IReadOnlyCollection<string> SeenVersions
    {
        get { lock (gate) return seen.ToArray(); }
    }

    /// <summary>
    /// Continues a resumed run: <paramref name="version"/> becomes the current (and pinned) version of
    /// <see cref="DefaultSource"/>, and <paramref name="changesSoFar"/> the count.
    /// </summary>
    public void Restore(string? version, int changesSoFar)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(changesSoFar);
        lock (gate)
        {
            changes = changesSoFar;
            current = firstVersion = version;
            lastBySource.Clear();
            seen.Clear();
            if (version is null) return;
            lastBySource[DefaultSource] = version;
            seen.Add(version);
        }
    }

    /// <summary>Records that the teacher (<see cref="DefaultSource"/>) answered with <paramref name="version"/>.</summary>
    /// <exception cref="TeacherVersionChangedException">The version is pinned and differs from the first recorded.</exception>
    public void Record(string version) => Record(version, DefaultSource);

    /// <summary>Records that <paramref name="source"/> answered with <paramref name="version"/>.</summary>
    /// <exception cref="TeacherVersionChangedException">The version is pinned and differs from the first recorded.</exception>
    public void Record(string version, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentNullException.ThrowIfNull(source);
        TeacherVersionChange? change = null;
        string? pinned = null;
        lock (gate)
        {
            firstVersion ??= version;
            current = version;
            seen.Add(version);
            if (lastBySource.TryGetValue(source, out var previous) && previous != version)
            {
                changes++;
                change = new TeacherVersionChange(source, previous, version);
            }
            lastBySource[source] = version;
            if (PinVersion && version != firstVersion) pinned = firstVersion;
        }
        if (change is not null) Changed?.Invoke(change);
        if (pinned is not null) throw new TeacherVersionChangedException(pinned, version, source);
    }
}
