# MatchIt's nearest-neighbour matching on a propensity score, for scripts/matchit/validate.py
# and bench/evaluation.py (never for the test suite).
#
# Rscript match.R DATA.csv OUT_PREFIX treatment=t covariates=a,b outcomes=y ratio=1
#     replace=FALSE caliper=NA order=largest exact= runs=1 matches_only=FALSE
#
# Writes OUT_PREFIX-matches.csv (treated row, match columns; row numbers from 1),
# -scores.csv (score, weight, subclass), -balance.csv (summary(standardize = TRUE)),
# -outcomes.csv (lm(y ~ t, weights) with sandwich::vcovCL clustered on subclass, type HC1),
# and prints "seconds <time of each matchit() call>" (runs= calls, for benchmarks; with
# matches_only=TRUE only the matches and scores are written).
suppressPackageStartupMessages({
  library(MatchIt)
  library(sandwich)
})
args <- commandArgs(trailingOnly = TRUE)
data_path <- args[1]
out <- args[2]
opts <- list()
for (a in args[-(1:2)]) {
  kv <- strsplit(a, "=", fixed = TRUE)[[1]]
  opts[[kv[1]]] <- if (length(kv) > 1) kv[2] else ""
}
split <- function(x) if (is.null(x) || x == "") character(0) else strsplit(x, ",", fixed = TRUE)[[1]]
covariates <- split(opts$covariates)
outcomes <- split(opts$outcomes)
exact <- split(opts$exact)
ratio <- as.integer(opts$ratio)
replace <- as.logical(opts$replace)
caliper <- if (is.null(opts$caliper) || opts$caliper == "NA") NULL else as.numeric(opts$caliper)

data <- read.csv(data_path, stringsAsFactors = FALSE)
# Levels in code-point order, as desist does (R's default order follows the locale).
for (name in names(data)) {
  if (is.character(data[[name]])) {
    data[[name]] <- factor(data[[name]], levels = sort(unique(data[[name]]), method = "radix"))
  }
}
form <- reformulate(covariates, response = opts$treatment)
exact_form <- if (length(exact)) reformulate(exact) else NULL

runs <- if (is.null(opts$runs)) 1L else as.integer(opts$runs)
for (run in seq_len(runs)) {
  started <- Sys.time()
  m <- matchit(form, data = data, method = "nearest", distance = "glm", ratio = ratio,
               replace = replace, caliper = caliper, std.caliper = TRUE, m.order = opts$order,
               exact = exact_form)
  seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  cat("seconds", format(seconds, digits = 6), "\n")
}

mm <- m$match.matrix
numeric_mm <- matrix(match(mm, rownames(data)), nrow = nrow(mm))
write.csv(data.frame(treated = match(rownames(mm), rownames(data)), numeric_mm),
          paste0(out, "-matches.csv"), row.names = FALSE, na = "")
subclass <- if (is.null(m$subclass)) rep(NA, nrow(data)) else as.integer(m$subclass)
write.csv(data.frame(score = sprintf("%.17g", m$distance), weight = sprintf("%.17g", m$weights),
                     subclass = subclass),
          paste0(out, "-scores.csv"), row.names = FALSE, na = "")

if (identical(opts$matches_only, "TRUE")) quit(save = "no")

s <- summary(m, standardize = TRUE, interactions = FALSE, addlvariables = NULL)
balance <- function(tab, when) {
  data.frame(term = rownames(tab), when = when,
             mean_treated = tab[, "Means Treated"], mean_control = tab[, "Means Control"],
             smd = tab[, "Std. Mean Diff."], var_ratio = tab[, "Var. Ratio"],
             ecdf_mean = tab[, "eCDF Mean"], ecdf_max = tab[, "eCDF Max"])
}
write.csv(rbind(balance(s$sum.all, "before"), balance(s$sum.matched, "after")),
          paste0(out, "-balance.csv"), row.names = FALSE)

md <- match.data(m, drop.unmatched = TRUE)
rows <- list()
for (y in outcomes) {
  fit <- lm(reformulate(opts$treatment, response = y), data = md, weights = weights)
  cluster <- if (replace) seq_len(nrow(md)) else md$subclass
  v <- vcovCL(fit, cluster = cluster, type = "HC1")
  rows[[y]] <- data.frame(outcome = y, difference = coef(fit)[[2]], se = sqrt(v[2, 2]))
}
write.csv(do.call(rbind, rows), paste0(out, "-outcomes.csv"), row.names = FALSE)
