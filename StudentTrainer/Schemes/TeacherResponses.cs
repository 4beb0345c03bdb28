using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Teacher;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// Sequence-level KD's training responses: the teacher's own continuations of the prompts, asked for in requests of a
/// few prompts each and kept in a <see cref="TeacherResponseFile"/> so they are generated once per teacher version,
/// settings and prompts.
/// </summary>
public static class TeacherResponses
{
    /// <summary>
    /// The teacher's responses to <paramref name="prompts"/>: read from the cache folder when a file made under the
    /// teacher's current version and the same settings and prompts is there, else generated (prompt i with seed + i,
    /// stopping at the end-of-sequence id) and written there.
    /// </summary>
    /// <param name="prompts">Token ids of each prompt, each non-empty and shorter than the teacher's context.</param>
    /// <exception cref="ArgumentException">No prompts, an empty prompt, or invalid options.</exception>
    /// <exception cref="InvalidDataException">The teacher answered a request with another number of completions.</exception>
    /// <exception cref="InvalidOperationException">The teacher's version changed between requests.</exception>
    public static async Task<TeacherResponseSet> GetAsync(
        ITeacher teacher, IReadOnlyList<int[]> prompts, TeacherResponseOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("teacher responses need at least one prompt");
        if (prompts.Any(p => p is null || p.Length == 0)) throw new ArgumentException("every prompt needs at least one token");

        TeacherResponseKey key = TeacherResponseKey.Of(teacher.Model.Version, prompts, options);
        string? file = options.CacheFolder is { } folder ? Path.Combine(folder, key.FileName) : null;
        if (file is not null && TeacherResponseFile.TryRead(file, key, prompts) is { } cached)
            return Pair(prompts, cached, key.TeacherVersion, file, fromFile: true);

        (int[][] responses, string version) = await GenerateAsync(teacher, prompts, options, ct).ConfigureAwait(false);
        if (options.CacheFolder is { } cacheFolder)
        {
            key = key with { TeacherVersion = version };
            file = Path.Combine(cacheFolder, key.FileName);
            TeacherResponseFile.Write(file, key, prompts, responses);
        }
        return Pair(prompts, responses, version, file, fromFile: false);
    }

    /// <summary>
    /// The responses a file written under <paramref name="key"/> holds for exactly <paramref name="prompts"/>, e.g. those a
    /// resumed run trained on; null when there is no such file (or it was written under another key or for other prompts).
    /// </summary>
    public static TeacherResponseSet? TryRead(string file, TeacherResponseKey key, IReadOnlyList<int[]> prompts) =>
        TeacherResponseFile.TryRead(file, key, prompts) is { } responses
            ? Pair(prompts, responses, key.TeacherVersion, file, fromFile: true)
            : null;

    private static async Task<(int[][] Responses, string Version)> GenerateAsync(
        ITeacher teacher, IReadOnlyList<int[]> prompts, TeacherResponseOptions options, CancellationToken ct)
    {
        var responses = new int[prompts.Count][];
        string? version = null;
        for (int first = 0; first < prompts.Count; first += options.PromptsPerRequest)
        {
            int[][] chunk = prompts.Skip(first).Take(options.PromptsPerRequest).ToArray();
            var request = new GenerateRequest(chunk, options.MaxNewTokens, options.Temperature, options.TopP,
                Seed: unchecked(options.Seed + first), StopAtEos: true);
            GenerateResponse answer = await teacher.GenerateAsync(request, ct).ConfigureAwait(false);
            if (answer.Completions.Count != chunk.Length)
                throw new InvalidDataException($"the teacher answered {answer.Completions.Count} completions to {chunk.Length} prompts");
            if (version is not null && answer.Version != version)
                throw new InvalidOperationException(
                    $"the teacher's model changed from version {version} to {answer.Version} while generating responses; run again");
            version = answer.Version;
            for (int i = 0; i < chunk.Length; i++)
                responses[first + i] = answer.Completions[i].Tokens ?? [];
        }
        return (responses, version!);
    }

    private static TeacherResponseSet Pair(IReadOnlyList<int[]> prompts, int[][] responses, string version, string? file, bool fromFile)
    {
        var pairs = new List<TokenizedPair>(prompts.Count);
        for (int i = 0; i < prompts.Count; i++)
            if (responses[i].Length > 0) pairs.Add(new TokenizedPair(prompts[i], responses[i]));
        return new TeacherResponseSet(pairs, prompts.Count - pairs.Count, version, file, fromFile);
    }
}
