using Distill.Shared.Onnx;
using Distill.Shared.Tokenization;
using Distill.TeacherServer.Batching;
using Distill.TeacherServer.Caching;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Models;

/// <summary>Turns a model folder into a <see cref="LoadedModel"/>, checked by a test run before anyone sees it.</summary>
/// <param name="time">The clock of the batchers' windows (the system's when none is registered).</param>
public sealed class ModelLoader(IOptions<TeacherServerOptions> options, ILoggerFactory loggers, TimeProvider? time = null)
{
    private readonly ILogger logger = loggers.CreateLogger<ModelLoader>();

    /// <exception cref="IncompatibleModelException">The folder is corrupt or cannot be served; the message says why.</exception>
    public LoadedModel Load(string folder, string version)
    {
        var settings = options.Value;
        var manifest = TeacherManifestReader.Read(folder);
        if (settings.SplitPastAttention)
        {
            try
            {
                return Load(folder, version, manifest, splitPast: true);
            }
            catch (SplitPastRejectedException e)
            {
                logger.LogWarning("Model {Model}: {Reason}; it is served as exported, copying the past at every cached step", manifest.Name, e.Message);
            }
        }
        return Load(folder, version, manifest, splitPast: false);
    }

    private LoadedModel Load(string folder, string version, TeacherManifest manifest, bool splitPast)
    {
        var settings = options.Value;
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(manifest.ModelPath));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new IncompatibleModelException($"{Path.GetFileName(manifest.ModelPath)} is not an ONNX model: {e.Message}", e);
        }
        FolderConfinement.CheckExternalData(model, folder);

        TeacherSession session;
        using (var sessionOptions = SessionOptionsFactory.Create(settings.ExecutionProvider, settings.IntraOpThreads, folder))
        {
            try
            {
                session = TeacherSession.Open(model, manifest.LogitsName, sessionOptions, manifest.KeyValueHeads, manifest.HeadDim, manifest.VocabLimit, splitPast,
                    TopKPlacements.Resolve(settings.TopKPlacement, settings.ExecutionProvider));
            }
            catch (IncompatibleModelException e) when (splitPast)
            {
                throw new SplitPastRejectedException($"ONNX Runtime did not load the graph rewritten to read the past in place ({e.Message})", e);
            }
        }
        try
        {
            var vocabSize = TestRun(session, manifest);
            var prefixCacheBytes = settings.PrefixCacheBytes;
            if (prefixCacheBytes > 0 && CachedStepCheck.Problem(session, manifest.ContextLength, vocabSize) is { } problem)
            {
                if (session.OutputsNewKeyValuesOnly)
                {
                    throw new SplitPastRejectedException($"a cached step through the rewritten graph {problem}");
                }
                logger.LogWarning("Model {Model}: a cached step {Problem}; its prefix cache is off, and requests with a start are answered by recomputing",
                    manifest.Name, problem);
                prefixCacheBytes = 0;
            }
            var tokenizer = TokenizerInspector.Describe(folder);
            if (tokenizer.Problem is not null)
            {
                logger.LogWarning("Model {Model}: the tokenizer is reported as {Kind}: {Problem}", manifest.Name, tokenizer.Kind, tokenizer.Problem);
            }
            var batcher = new DynamicBatcher(session, manifest.Name, settings.MaxBatchTokens,
                TimeSpan.FromMilliseconds(settings.BatchWindowMilliseconds), loggers.CreateLogger<DynamicBatcher>(), prefixCacheBytes,
                settings.IntraOpThreads > 0 ? settings.IntraOpThreads : Environment.ProcessorCount, time);
            return new LoadedModel(manifest, version, vocabSize, tokenizer, session, batcher, loggers.CreateLogger<LoadedModel>(),
                ServedTokenizer.TryLoad(folder, tokenizer, logger));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs two rows of different lengths and checks shapes and values; returns the logits width.</summary>
    private int TestRun(TeacherSession session, TeacherManifest manifest)
    {
        int[][] rows = manifest.ContextLength >= 2 ? [[0, 0], [0]] : [[0], [0]];
        try
        {
            using var output = session.Run(rows, [1f, 1f], wantLastLogits: true, k: 1);
            var vocabSize = output.VocabSize;
            var positions = rows.Length * output.Width;
            // Throws when the top-k material is not one k-block (or vocabulary) per position.
            output.SelectTopK(0, positions, 1, new int[positions], new float[positions]);
            if (output.NextLogprobs.Length != positions || output.LastLogits.Length != rows.Length * vocabSize)
            {
                throw new IncompatibleModelException("The logits of the test run do not have the shape [batch, sequence, vocab].");
            }
            foreach (var value in output.LastLogits)
            {
                if (!float.IsFinite(value))
                {
                    throw new IncompatibleModelException("The test run produced logits that are not finite.");
                }
            }
            if (manifest.VocabLimit is { } limit && limit != vocabSize)
            {
                throw new IncompatibleModelException($"teacher.json's vocab_size {limit} is larger than the logits width {vocabSize}.");
            }
            if (manifest.VocabLimit is null && manifest.VocabSize is { } configured && configured != vocabSize)
            {
                logger.LogWarning("Model {Model}: config vocab_size {Configured} differs from the logits width {VocabSize}; the logits width is used",
                    manifest.Name, configured, vocabSize);
            }
            return vocabSize;
        }
        catch (Exception e) when (e is not IncompatibleModelException)
        {
            throw new IncompatibleModelException($"The test run failed: {e.Message}", e);
        }
    }
}
