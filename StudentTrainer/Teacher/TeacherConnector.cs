using Distill.Shared.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distill.StudentTrainer.Teacher;

/// <summary>
/// Connects the trainer to a teacher: reads <c>GET /v1/models</c> from every replica, picks the model, and refuses a
/// teacher that cannot teach this student (another tokenizer, vocabulary size, or a context shorter than the student's
/// sequences).
/// </summary>
public static class TeacherConnector
{
    /// <summary>Connects to the replicas at <paramref name="urls"/>; the returned teacher owns its HttpClients.</summary>
    /// <param name="modelName">The model to use; null picks the only model served (an error when there are several).</param>
    /// <param name="sequenceLength">The longest sequence the student will send; the teacher's context must hold it.</param>
    /// <exception cref="InvalidOperationException">No replica answered, the model is missing or ambiguous, or the teacher does not fit the student.</exception>
    public static Task<ReplicatedTeacher> ConnectAsync(IReadOnlyList<Uri> urls, string? modelName, StudentVocabulary expected,
        int sequenceLength, TeacherClientOptions options, CancellationToken ct = default) =>
        ConnectAsync(urls, modelName, expected, sequenceLength, options, logger: null, ct);

    /// <param name="logger">Receives warnings (replicas on different versions, a replica down or back) and the connection line.</param>
    public static async Task<ReplicatedTeacher> ConnectAsync(IReadOnlyList<Uri> urls, string? modelName, StudentVocabulary expected,
        int sequenceLength, TeacherClientOptions options, ILogger? logger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var http = new TeacherHttpClients(options);
        try
        {
            return await ConnectAsync(http, urls, modelName, expected, sequenceLength, logger, ct, owned: http).ConfigureAwait(false);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>Connects through <paramref name="http"/>, which the caller keeps and disposes.</summary>
    public static Task<ReplicatedTeacher> ConnectAsync(TeacherHttpClients http, IReadOnlyList<Uri> urls, string? modelName,
        StudentVocabulary expected, int sequenceLength, ILogger? logger = null, CancellationToken ct = default) =>
        ConnectAsync(http, urls, modelName, expected, sequenceLength, logger, ct, owned: null);

    private static async Task<ReplicatedTeacher> ConnectAsync(TeacherHttpClients http, IReadOnlyList<Uri> urls, string? modelName,
        StudentVocabulary expected, int sequenceLength, ILogger? logger, CancellationToken ct, IDisposable? owned)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(expected);
        if (urls.Count == 0) throw new ArgumentException("give at least one teacher URL");
        if (urls.Distinct().Count() != urls.Count) throw new ArgumentException($"a teacher URL is given twice: {string.Join(", ", urls)}");
        if (sequenceLength < 1) throw new ArgumentException($"the student's sequence length must be ≥ 1, got {sequenceLength}");
        logger ??= NullLogger.Instance;

        var listings = await Task.WhenAll(urls.Select(url => ListAsync(http, url, ct))).ConfigureAwait(false);
        var answered = listings.Where(l => l.Models is not null).ToArray();
        if (answered.Length == 0)
            throw new InvalidOperationException("No teacher answered GET /v1/models: " + string.Join("; ", listings.Select(l => $"{l.Url}: {l.Error}")));

        var name = modelName ?? OnlyModel(answered);
        var served = answered.Select(l => (l.Url, Model: l.Models!.FirstOrDefault(m => m.Name == name)
            ?? throw new InvalidOperationException($"The teacher at {l.Url} serves no model named '{name}'; it serves: {Names(l.Models!)}."))).ToArray();
        foreach (var (url, model) in served) Check(url, model, expected, sequenceLength);

        var versions = served.Select(s => s.Model.Version).Distinct().ToArray();
        if (versions.Length > 1)
            logger.LogWarning("Teacher replicas serve different versions of '{Model}': {Versions}.",
                name, string.Join(", ", served.Select(s => $"{s.Url} {s.Model.Version}")));

        var clients = urls.ToDictionary(url => url, url => http.Create(url, name));
        var tracker = new TeacherVersionTracker(http.Options.PinVersion);
        foreach (var (url, model) in served) tracker.Record(model.Version, clients[url].BaseAddress.AbsoluteUri);
        logger.LogInformation("Teacher '{Model}' version {Version}: vocabulary {Vocab}, context {Context}, {Replicas} replica(s).",
            name, served[0].Model.Version, served[0].Model.VocabSize, served[0].Model.ContextLength, urls.Count);
        var teacher = new ReplicatedTeacher(urls.Select(url => clients[url]).ToArray(), served[0].Model, http.Options, tracker, logger, owned: owned);
        foreach (var silent in listings.Where(l => l.Models is null))
            teacher.MarkDown(clients[silent.Url].BaseAddress, $"no answer at connection: {silent.Error}");
        return teacher;
    }

    /// <summary>Throws the one-line refusal when <paramref name="model"/> cannot teach the student.</summary>
    /// <exception cref="InvalidOperationException">The tokenizer, vocabulary size or context length does not fit.</exception>
    public static void Check(Uri url, ModelInfo model, StudentVocabulary expected, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(expected);
        if (model.TokenizerFingerprint != expected.Fingerprint || model.VocabSize != expected.VocabSize)
            throw new InvalidOperationException(
                $"Teacher '{model.Name}' at {url} does not share the student's vocabulary: teacher tokenizer fingerprint " +
                $"{model.TokenizerFingerprint ?? "none (no tokenizer files)"} with vocab size {model.VocabSize}, student tokenizer fingerprint " +
                $"{expected.Fingerprint} with vocab size {expected.VocabSize}.");
        if (model.ContextLength < sequenceLength)
            throw new InvalidOperationException(
                $"Teacher '{model.Name}' at {url} has context length {model.ContextLength}, shorter than the student's sequence length {sequenceLength}.");
    }

    private static string OnlyModel(IEnumerable<(Uri Url, IReadOnlyList<ModelInfo>? Models, string? Error)> answered)
    {
        var names = answered.SelectMany(l => l.Models!).Select(m => m.Name).Distinct().Order(StringComparer.Ordinal).ToArray();
        return names.Length switch
        {
            1 => names[0],
            0 => throw new InvalidOperationException("The teacher serves no model yet; put a model folder in its models folder."),
            _ => throw new InvalidOperationException($"The teacher serves several models; name one of: {string.Join(", ", names)}."),
        };
    }

    private static string Names(IReadOnlyList<ModelInfo> models) =>
        models.Count == 0 ? "nothing" : string.Join(", ", models.Select(m => m.Name).Order(StringComparer.Ordinal));

    private static async Task<(Uri Url, IReadOnlyList<ModelInfo>? Models, string? Error)> ListAsync(TeacherHttpClients http, Uri url, CancellationToken ct)
    {
        try
        {
            return (url, await TeacherClient.ListModelsAsync(http.CreateHttpClient(url), ct).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return (url, null, e.Message);
        }
    }
}
