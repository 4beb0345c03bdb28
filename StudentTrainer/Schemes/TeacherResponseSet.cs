using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Schemes;

/// <summary>Prompts with the responses a teacher generated for them.</summary>
/// <param name="Pairs">
/// Each prompt with the teacher's response (ending with the end-of-sequence id when the teacher stopped there), in the
/// order of the prompts; a prompt whose response came back empty is left out, since it has nothing to train on.
/// </param>
/// <param name="EmptyDropped">How many prompts were left out for an empty response.</param>
/// <param name="TeacherVersion">The model version that generated the responses.</param>
/// <param name="File">The response file written or read, or null without a cache folder.</param>
/// <param name="FromFile">True when the responses were read from <paramref name="File"/> instead of asked for.</param>
public sealed record TeacherResponseSet(
    IReadOnlyList<TokenizedPair> Pairs, int EmptyDropped, string TeacherVersion, string? File, bool FromFile);
