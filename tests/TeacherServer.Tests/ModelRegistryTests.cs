using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.Testing;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Tests.Support;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Distill.TeacherServer.Tests;

/// <summary>Folder watch: hot swap under load, corrupt models, removal, folders in other shapes.</summary>
public sealed class ModelRegistryTests
{
    private static readonly int[] Probe = [3, 1, 4, 1, 5, 9, 2, 6];

    [Fact]
    public async Task Hot_swap_under_concurrent_load_loses_no_request_and_each_answer_names_its_version()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "swap"), seed: 1));
        var modelPath = Path.Combine(host.ModelsFolder, "swap", "model.onnx");
        var referenceFolder = Path.Combine(host.ModelsFolder, "..", Path.GetFileName(host.ModelsFolder) + "-ref");
        TinyOnnxModel.WriteFolder(Path.Combine(referenceFolder, "v1"), seed: 1);
        TinyOnnxModel.WriteFolder(Path.Combine(referenceFolder, "v2"), seed: 2);
        try
        {
            var v1 = (await host.WaitForModelAsync("swap"))!.Version;
            var old = host.Services.GetRequiredService<ModelRegistry>().Find("swap")!;
            var expected = new Dictionary<int, float[]>();
            foreach (var seed in new[] { 1, 2 })
            {
                using var reference = new ReferenceTopK(Path.Combine(referenceFolder, $"v{seed}", "model.onnx"));
                expected[seed] = reference.LogProbs(Probe, 1.0).Select(p => (float)p.Max()).ToArray();
            }

            var answers = new ConcurrentBag<(string Version, float[] Top1)>();
            var failures = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var request = new TopKRequest([Probe], 1, 1f);
                    try
                    {
                        if (c % 2 == 0)
                        {
                            var answer = await TopKCalls.BinaryAsync(host.Client, "swap", request);
                            answers.Add((answer.Version, answer.Sequences[0].Logprobs));
                        }
                        else
                        {
                            using var response = await host.Client.PostAsJsonAsync("/v1/models/swap/topk", request);
                            if (response.StatusCode != HttpStatusCode.OK)
                            {
                                failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                                continue;
                            }
                            var answer = (await response.Content.ReadFromJsonAsync<TopKResponse>())!;
                            answers.Add((answer.Version, answer.Sequences[0].Logprobs.Select(l => l[0]).ToArray()));
                        }
                    }
                    catch (Exception e)
                    {
                        failures.Add(e.Message);
                    }
                }
            })).ToArray();

            await Conditions.WaitUntilAsync(() => answers.Any(a => a.Version == v1) || !failures.IsEmpty, "answers of the first version");
            ModelFiles.ReplaceAtomically(modelPath, TinyOnnxModel.Build(32, 16, 8, seed: 2).ToByteArray());
            var v2 = (await host.WaitForModelAsync("swap", m => m is not null && m.Version != v1))!.Version;
            await Conditions.WaitUntilAsync(() => answers.Any(a => a.Version == v2) || !failures.IsEmpty, "answers of the second version");
            stop.Cancel();
            await Task.WhenAll(clients);

            Assert.Empty(failures);
            Assert.Contains(answers, a => a.Version == v1);
            Assert.Contains(answers, a => a.Version == v2);
            foreach (var (version, top1) in answers)
            {
                Assert.True(version == v1 || version == v2, $"unknown version {version}");
                var truth = expected[version == v1 ? 1 : 2];
                for (var t = 0; t < truth.Length; t++)
                {
                    Assert.Equal(truth[t], top1[t], 1e-4);
                }
            }
            await old.Disposed.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Directory.Delete(referenceFolder, recursive: true);
        }
    }

    [Fact]
    public async Task A_request_queued_before_a_swap_finishes_on_the_old_version_which_is_then_disposed()
    {
        // A batch window on a clock that moves only when the test says, and another admitted request the batcher waits
        // for, keep the first request queued in the old version's batcher across the swap.
        var clock = new SteppedClock();
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "drain"), seed: 1),
            new Dictionary<string, string?> { ["TeacherServer:BatchWindowMilliseconds"] = "6000" }, time: clock);
        var v1 = (await host.WaitForModelAsync("drain"))!.Version;
        var registry = host.Services.GetRequiredService<ModelRegistry>();
        var old = registry.Find("drain")!;
        Assert.Equal(LeaseOutcome.Acquired, registry.TryAcquire("drain", admit: true, out var other));
        using var held = other!;

        var queued = TopKCalls.JsonAsync(host.Client, "drain", new TopKRequest([Probe], 2, 1f));
        var timer = clock.WaitForTimerAsync(); // its row is with the old batcher, which waits for more
        await Task.WhenAny(queued, timer);
        Assert.False(queued.IsCompleted, "the queued request finished before the swap; the test proves nothing");
        var window = await timer;
        ModelFiles.ReplaceAtomically(Path.Combine(host.ModelsFolder, "drain", "model.onnx"), TinyOnnxModel.Build(32, 16, 8, seed: 2).ToByteArray());
        var v2 = (await host.WaitForModelAsync("drain", m => m is not null && m.Version != v1))!.Version;

        var finishedBeforeSwap = queued.IsCompleted;
        var disposedBeforeAnswer = old.Disposed.IsCompleted;
        clock.Advance(window);
        Assert.False(finishedBeforeSwap, "the queued request finished before the swap; the test proves nothing");
        Assert.False(disposedBeforeAnswer);
        var answer = await queued.WaitAsync(TimeSpan.FromSeconds(60));
        held.Dispose();
        Assert.Equal(v1, answer.Version);
        using var reference = new ReferenceTopK(ReferencePath(host, seed: 1));
        Assert.Equal(reference.LogProbs(Probe, 1.0)[0].Max(), answer.Sequences[0].Logprobs[0][0], 1e-4);
        await old.Disposed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(v1, v2);
    }

    private static string ReferencePath(TeacherHost host, int seed)
    {
        var folder = Path.Combine(host.ModelsFolder, $".reference-{seed}");
        TinyOnnxModel.WriteFolder(folder, seed: seed);
        return Path.Combine(folder, "model.onnx");
    }

    [Fact]
    public async Task Corrupt_model_dropped_in_leaves_the_old_version_serving()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "victim")));
        var before = (await host.WaitForModelAsync("victim"))!;
        var failuresBefore = TeacherHost.Rejections("victim");

        ModelFiles.ReplaceAtomically(Path.Combine(host.ModelsFolder, "victim", "model.onnx"), "this is not an onnx model"u8.ToArray());
        await TeacherHost.WaitForRejectionsAsync("victim", failuresBefore + 1);

        var after = await host.FindModelAsync("victim");
        Assert.Equal(before.Version, after?.Version);
        var answer = await TopKCalls.JsonAsync(host.Client, "victim", new TopKRequest([[1, 2, 3]], 2, 1f));
        Assert.Equal(before.Version, answer.Version);
        using var ready = await host.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("garbage bytes")]
    [InlineData("truncated model")]
    [InlineData("no logits output")]
    [InlineData("token id input missing")]
    public async Task Corrupt_or_incompatible_new_folder_is_not_served(string defect)
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "good")));
        await host.WaitForModelAsync("good");
        // Prepared under a hidden name and moved in whole, so the watcher never sees the intact model.
        var folder = Path.Combine(host.ModelsFolder, ".staging");
        TinyOnnxModel.WriteFolder(folder);
        var modelPath = Path.Combine(folder, "model.onnx");
        var model = Distill.Shared.Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        var failuresBefore = TeacherHost.Rejections("bad");
        switch (defect)
        {
            case "garbage bytes":
                File.WriteAllBytes(modelPath, [1, 2, 3, 4, 5, 6, 7, 8]);
                break;
            case "truncated model":
                var bytes = File.ReadAllBytes(modelPath);
                File.WriteAllBytes(modelPath, bytes[..(bytes.Length / 2)]);
                break;
            case "no logits output":
                model.Graph.Output[0].Name = "scores";
                model.Graph.Node.Last().Output[0] = "scores";
                File.WriteAllBytes(modelPath, model.ToByteArray());
                break;
            case "token id input missing":
                model.Graph.Input[0].Name = "tokens_in";
                model.Graph.Node[0].Input[1] = "tokens_in";
                File.WriteAllBytes(modelPath, model.ToByteArray());
                break;
        }
        Directory.Move(folder, Path.Combine(host.ModelsFolder, "bad"));
        await TeacherHost.WaitForRejectionsAsync("bad", failuresBefore + 1);
        Assert.Null(await host.FindModelAsync("bad"));
        Assert.NotNull(await host.FindModelAsync("good"));
    }

    [Fact]
    public async Task Removing_a_folder_unloads_the_model()
    {
        using var host = TeacherHost.Start(models =>
        {
            TinyOnnxModel.WriteFolder(Path.Combine(models, "stays"));
            TinyOnnxModel.WriteFolder(Path.Combine(models, "goes"), seed: 3);
        });
        await host.WaitForModelAsync("stays");
        await host.WaitForModelAsync("goes");
        var goes = host.Services.GetRequiredService<ModelRegistry>().Find("goes")!;

        Directory.Delete(Path.Combine(host.ModelsFolder, "goes"), recursive: true);
        await host.WaitForModelAsync("goes", m => m is null);

        using var response = await host.Client.PostAsJsonAsync("/v1/models/goes/topk", new TopKRequest([[1]], 1, 1f));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await goes.Disposed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(await host.FindModelAsync("stays"));
    }

    [Theory]
    [InlineData("optimum inputs: empty past_key_values, no position_ids")]
    [InlineData("optimum merged decoder: decoder_model_merged.onnx with use_cache_branch")]
    [InlineData("external data")]
    [InlineData("float16 logits")]
    public async Task Folders_in_other_shapes_are_served_and_match_the_reference(string shape)
    {
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, "other");
            if (shape.StartsWith("optimum inputs", StringComparison.Ordinal))
            {
                TinyOnnxModel.WriteFolder(folder, seed: 5, positionIds: false, pastLayers: 2);
            }
            else if (shape.StartsWith("optimum merged", StringComparison.Ordinal))
            {
                TinyOnnxModel.WriteFolder(folder, seed: 8, pastLayers: 1, useCacheBranch: true, modelFile: "decoder_model_merged.onnx");
            }
            else if (shape == "float16 logits")
            {
                TinyOnnxModel.WriteFolder(folder, seed: 9, float16Logits: true);
            }
            else
            {
                TinyOnnxModel.WriteFolder(folder, seed: 6);
                ModelFiles.MoveInitializersToExternalData(Path.Combine(folder, "model.onnx"), "model.onnx.data");
            }
        });
        await host.WaitForModelAsync("other");
        int[][] sequences = [[1, 2, 3, 4], [5, 6]];
        var answer = await TopKCalls.JsonAsync(host.Client, "other", new TopKRequest(sequences, 4, 1f));
        var modelFile = shape.StartsWith("optimum merged", StringComparison.Ordinal) ? "decoder_model_merged.onnx" : "model.onnx";
        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, "other", modelFile));
        for (var s = 0; s < sequences.Length; s++)
        {
            for (var t = 0; t < sequences[s].Length; t++)
            {
                TopKCorrectnessTests.AssertMatchesReference(reference, sequences[s], 1.0, 4,
                    answer.Sequences[s].Ids[t], answer.Sequences[s].Logprobs[t], answer.Sequences[s].NextTokenLogprob, t);
            }
        }
    }

    [Fact]
    public async Task Teacher_json_overrides_the_folder_conventions()
    {
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, "renamed");
            TinyOnnxModel.WriteFolder(folder, context: 16, eos: 3);
            File.Move(Path.Combine(folder, "model.onnx"), Path.Combine(folder, "decoder.onnx"));
            File.WriteAllText(Path.Combine(folder, "teacher.json"), """{"model_file":"decoder.onnx","context_length":6,"eos_token_id":9}""");
        });
        var model = (await host.WaitForModelAsync("renamed"))!;
        Assert.Equal(6, model.ContextLength);
        Assert.Equal(9, model.EosId);
        using var tooLong = await host.Client.PostAsJsonAsync("/v1/models/renamed/topk", new TopKRequest([[1, 2, 3, 4, 5, 6, 7]], 1, 1f));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
    }

    [Fact]
    public async Task The_queue_bound_counts_the_requests_of_a_model_name_across_a_swap()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "queued"), seed: 1),
            new Dictionary<string, string?> { ["TeacherServer:MaxQueue"] = "2" });
        var v1 = (await host.WaitForModelAsync("queued"))!.Version;
        var registry = host.Services.GetRequiredService<ModelRegistry>();
        Assert.Equal(LeaseOutcome.Acquired, registry.TryAcquire("queued", admit: true, out var first));
        Assert.Equal(LeaseOutcome.Acquired, registry.TryAcquire("queued", admit: true, out var second));
        using (first)
        using (second)
        {
            ModelFiles.ReplaceAtomically(Path.Combine(host.ModelsFolder, "queued", "model.onnx"), TinyOnnxModel.Build(32, 16, 8, seed: 2).ToByteArray());
            await host.WaitForModelAsync("queued", m => m is not null && m.Version != v1);

            using var refused = await host.Client.PostAsJsonAsync("/v1/models/queued/topk", new TopKRequest([[1]], 1, 1f));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }
        using var admitted = await host.Client.PostAsJsonAsync("/v1/models/queued/topk", new TopKRequest([[1]], 1, 1f));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    [Fact]
    public async Task Teacher_json_vocab_size_serves_only_the_first_logits()
    {
        const int limit = 24;
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, "padded");
            TinyOnnxModel.WriteFolder(folder, vocab: 32, seed: 12);
            File.WriteAllText(Path.Combine(folder, "teacher.json"), $$"""{"vocab_size":{{limit}}}""");
        });
        var model = (await host.WaitForModelAsync("padded"))!;
        Assert.Equal(limit, model.VocabSize);

        using var outside = await host.Client.PostAsJsonAsync("/v1/models/padded/topk", new TopKRequest([[1, limit]], 1, 1f));
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        int[] sequence = [1, 23, 5, 7];
        var answer = await TopKCalls.JsonAsync(host.Client, "padded", new TopKRequest([sequence], limit, 1f));
        using var reference = new ReferenceTopK(Path.Combine(host.ModelsFolder, "padded", "model.onnx"), vocabLimit: limit);
        for (var t = 0; t < sequence.Length; t++)
        {
            Assert.All(answer.Sequences[0].Ids[t], id => Assert.InRange(id, 0, limit - 1));
            TopKCorrectnessTests.AssertMatchesReference(reference, sequence, 1.0, limit,
                answer.Sequences[0].Ids[t], answer.Sequences[0].Logprobs[t], answer.Sequences[0].NextTokenLogprob, t);
        }
    }

    [Fact]
    public async Task Teacher_json_vocab_size_above_the_logits_width_is_rejected()
    {
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, "overstated");
            TinyOnnxModel.WriteFolder(folder, vocab: 32);
            File.WriteAllText(Path.Combine(folder, "teacher.json"), """{"vocab_size":40}""");
        });
        await TeacherHost.WaitForRejectionsAsync("overstated", 1);
        Assert.Null(await host.FindModelAsync("overstated"));
    }

    [Fact]
    public async Task Models_list_reports_what_a_trainer_needs()
    {
        using var host = TeacherHost.Start(models => TinyOnnxModel.WriteFolder(Path.Combine(models, "listed"), vocab: 48, context: 12, eos: 7));
        var model = (await host.WaitForModelAsync("listed"))!;
        Assert.Equal(48, model.VocabSize);
        Assert.Equal(12, model.ContextLength);
        Assert.Equal(7, model.EosId);
        Assert.Equal(16, model.Version.Length);
        Assert.Null(model.TokenizerFingerprint);
    }
}
