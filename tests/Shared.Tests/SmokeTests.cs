namespace Distill.Shared.Tests; public class SmokeTests { [Fact] public void Loads() => Assert.True(true); }
